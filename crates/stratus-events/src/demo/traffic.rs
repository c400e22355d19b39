//! A believable model of shop traffic: sessions of page views, clicks, form
//! submits (field names and validity only), sign-ups, purchases and errors.
//! Deterministic for a given RNG, shared by the demo seed and the load
//! generator.

use rand::Rng;
use serde_json::{json, Map, Value};

use crate::envelope::{format_millis, CollectorInfo, Envelope, EventContext, EventType};

/// The traffic model's RNG: fast and reproducible across platforms and
/// versions (unlike `rand::rngs::StdRng`), so a seed always gives the same demo.
pub type TrafficRng = rand_xoshiro::Xoshiro256PlusPlus;

const SITE: &str = "https://shop.example.com";
const PRODUCTS: [(&str, &str, f64); 8] = [
    ("sku-1001", "Trail Runner 2", 129.0),
    ("sku-1002", "City Sneaker", 89.5),
    ("sku-1003", "Wool Socks (3-pack)", 24.0),
    ("sku-1004", "Rain Shell", 179.0),
    ("sku-1005", "Merino Tee", 59.0),
    ("sku-1006", "Daypack 22L", 99.0),
    ("sku-1007", "Insulated Bottle", 32.0),
    ("sku-1008", "Cap", 19.0),
];
const HELP: [&str; 4] = ["shipping", "returns", "sizing", "payment"];
const LOCALES: [(&str, &str); 4] = [
    ("en-US", "America/New_York"),
    ("en-GB", "Europe/London"),
    ("fr-FR", "Europe/Paris"),
    ("de-DE", "Europe/Berlin"),
];

/// Who a session belongs to.
pub struct Visitor<'a> {
    /// The customer id (`cust-00042`), or `None` for an anonymous visitor.
    pub distinct_id: Option<&'a str>,
    /// The device id, stable per customer.
    pub anonymous_id: &'a str,
    /// An anonymous visitor who signs in at the end of the session: the
    /// customer id their `identify` names (the identity graph joins the
    /// device's anonymous events to the customer).
    pub signs_in_as: Option<&'a str>,
}

/// A time-ordered id for a given instant, random bits from `rng`.
pub fn uuid_v7_at(rng: &mut TrafficRng, ms: i64) -> uuid::Uuid {
    let random: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(u64::try_from(ms).unwrap_or(0), &random).into_uuid()
}

/// One session starting at `start_ms`: 2 to ~12 events a few seconds apart.
pub fn session(rng: &mut TrafficRng, visitor: &Visitor<'_>, start_ms: i64) -> Vec<Envelope> {
    let session_id = uuid_v7_at(rng, start_ms).to_string();
    let (locale, tz) = LOCALES[rng.random_range(0..LOCALES.len())];
    let mut s = SessionWriter {
        rng,
        visitor,
        session_id,
        locale,
        tz,
        now: start_ms,
        out: Vec::new(),
        page: "/".to_string(),
    };
    let landing = match s.rng.random_range(0..4) {
        0 => "/".to_string(),
        1 => "/pricing".to_string(),
        _ => format!("/products/{}", s.product().0),
    };
    s.page_view(&landing);
    let steps = s.rng.random_range(1..10);
    for _ in 0..steps {
        match s.rng.random_range(0..100) {
            0..=34 => {
                let path = match s.rng.random_range(0..3) {
                    0 => format!("/help/{}", HELP[s.rng.random_range(0..HELP.len())]),
                    _ => format!("/products/{}", s.product().0),
                };
                s.page_view(&path);
            }
            35..=59 => s.click(),
            60..=69 => s.form_submit(),
            70..=84 => s.add_to_cart(),
            85..=91 if visitor.distinct_id.is_some() => s.purchase(),
            92..=95 if visitor.distinct_id.is_none() => s.sign_up(),
            _ => s.error(),
        }
    }
    if visitor.signs_in_as.is_some() {
        s.sign_in();
    }
    s.out
}

struct SessionWriter<'r, 'v> {
    rng: &'r mut TrafficRng,
    visitor: &'v Visitor<'v>,
    session_id: String,
    locale: &'static str,
    tz: &'static str,
    now: i64,
    out: Vec<Envelope>,
    page: String,
}

impl SessionWriter<'_, '_> {
    fn product(&mut self) -> (&'static str, &'static str, f64) {
        PRODUCTS[self.rng.random_range(0..PRODUCTS.len())]
    }

    fn emit(&mut self, kind: EventType, event: &str, properties: Value, element: Option<Value>) {
        self.now += self.rng.random_range(800..45_000);
        // As the collector would have written it: the tracker batches for up
        // to 3 s, the request takes 40-900 ms, the client clock is right.
        let sent = self.now + self.rng.random_range(0..3_000);
        let received = sent + self.rng.random_range(40..900);
        let ts = received - (sent - self.now);
        let properties: Map<String, Value> = match properties {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        self.out.push(Envelope {
            event_id: uuid_v7_at(self.rng, self.now).to_string(),
            kind,
            event: event.to_string(),
            distinct_id: if kind == EventType::Identify {
                self.visitor.signs_in_as.map(String::from)
            } else {
                self.visitor.distinct_id.map(String::from)
            },
            anonymous_id: Some(self.visitor.anonymous_id.to_string()),
            session_id: Some(self.session_id.clone()),
            previous_id: None,
            group_id: None,
            client_ts: Some(format_millis(self.now)),
            sent_at: Some(format_millis(sent)),
            received_at: format_millis(received),
            ts: format_millis(ts),
            properties,
            context: EventContext {
                url: Some(format!("{SITE}{}", self.page)),
                path: Some(self.page.clone()),
                title: Some(title_of(&self.page)),
                referrer: None,
                element,
                library: Some(json!({"name": "stratus.js", "version": "0.4.2"})),
                locale: Some(self.locale.to_string()),
                tz: Some(self.tz.to_string()),
            },
            collector: CollectorInfo {
                request_id: None,
                ip: Some("198.51.100.0".to_string()),
            },
        });
    }

    fn page_view(&mut self, path: &str) {
        self.page = path.to_string();
        self.emit(EventType::Page, "$pageview", json!({}), None);
    }

    fn click(&mut self) {
        let (id, text) = match self.rng.random_range(0..4) {
            0 => ("nav-pricing", "Pricing"),
            1 => ("size-guide", "Size guide"),
            2 => ("color-swatch", "Color"),
            _ => ("newsletter-open", "Get 10% off"),
        };
        let element = json!({"tag": "button", "id": id, "text": text});
        self.emit(
            EventType::Track,
            "Button Clicked",
            json!({"button": id}),
            Some(element),
        );
    }

    fn form_submit(&mut self) {
        let (form, fields) = match self.rng.random_range(0..3) {
            0 => ("newsletter", "email"),
            1 => ("contact", "name,email,message"),
            _ => ("address", "street,city,postcode,country"),
        };
        let valid = self.rng.random_bool(0.8);
        let invalid = if valid {
            ""
        } else {
            fields.split(',').next().unwrap_or("")
        };
        self.emit(
            EventType::Track,
            "Form Submitted",
            json!({"form": form, "fields": fields, "valid": valid, "invalid_fields": invalid}),
            Some(json!({"tag": "form", "id": form})),
        );
    }

    fn add_to_cart(&mut self) {
        let (sku, name, price) = self.product();
        let qty = self.rng.random_range(1..3);
        self.emit(
            EventType::Track,
            "Product Added",
            json!({"sku": sku, "product": name, "price": price, "quantity": qty}),
            Some(json!({"tag": "button", "id": "add-to-cart"})),
        );
    }

    fn purchase(&mut self) {
        self.page = "/checkout".into();
        let (sku, _, price) = self.product();
        let order = format!("ord-{:06}", self.rng.random_range(0..1_000_000));
        self.emit(
            EventType::Track,
            "Checkout Started",
            json!({"items": 1}),
            None,
        );
        self.emit(
            EventType::Track,
            "Order Completed",
            json!({"order_id": order, "revenue": price, "currency": "EUR", "sku": sku}),
            None,
        );
    }

    /// A returning customer logs in on this device: an `identify` from the
    /// anonymous id to the customer id (`Visitor::signs_in_as`).
    fn sign_in(&mut self) {
        self.page = "/login".into();
        self.emit(
            EventType::Identify,
            "$identify",
            json!({"login_method": "password"}),
            None,
        );
    }

    fn sign_up(&mut self) {
        self.page = "/signup".into();
        self.emit(
            EventType::Track,
            "Form Submitted",
            json!({"form": "signup", "fields": "email,password", "valid": true, "invalid_fields": ""}),
            Some(json!({"tag": "form", "id": "signup"})),
        );
        self.emit(
            EventType::Track,
            "Signed Up",
            json!({"method": "email"}),
            None,
        );
    }

    fn error(&mut self) {
        let (message, source) = match self.rng.random_range(0..3) {
            0 => (
                "TypeError: cannot read properties of undefined (reading 'price')",
                "cart.js",
            ),
            1 => ("Payment provider timeout", "checkout.js"),
            _ => ("ChunkLoadError: loading chunk 7 failed", "app.js"),
        };
        self.emit(
            EventType::Track,
            "JS Error",
            json!({"message": message, "source": source}),
            None,
        );
    }
}

fn title_of(path: &str) -> String {
    match path {
        "/" => "Home".into(),
        "/pricing" => "Pricing".into(),
        "/checkout" => "Checkout".into(),
        "/signup" => "Create your account".into(),
        "/login" => "Sign in".into(),
        p if p.starts_with("/products/") => PRODUCTS
            .iter()
            .find(|(sku, _, _)| p.ends_with(sku))
            .map_or_else(|| "Product".into(), |(_, name, _)| (*name).into()),
        p => format!("Help: {}", p.rsplit('/').next().unwrap_or("")),
    }
}
