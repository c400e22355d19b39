//! Plans the app has shown and not yet applied or discarded, one per
//! profile: the Settings card plans, the admin reads, then applies or
//! discards that very change set (named by the UI, so a plan replaced
//! meanwhile is never applied by mistake).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::deploy::PlannedDeploy;
use crate::error::Error;

#[derive(Default)]
pub struct PendingPlans {
    plans: Mutex<HashMap<String, PlannedDeploy>>,
}

impl PendingPlans {
    /// Keeps `planned` for its profile; returns the plan it replaces (its
    /// change set is the caller's to discard).
    pub fn put(&self, planned: PlannedDeploy) -> Option<PlannedDeploy> {
        self.lock().insert(planned.profile.clone(), planned)
    }

    /// The profile's pending plan, if any.
    pub fn get(&self, profile: &str) -> Option<PlannedDeploy> {
        self.lock().get(profile).cloned()
    }

    /// Takes the profile's plan, whichever it is (a new plan replaces it).
    pub fn remove(&self, profile: &str) -> Option<PlannedDeploy> {
        self.lock().remove(profile)
    }

    /// Takes the profile's plan if it is the change set named.
    pub fn take(&self, profile: &str, change_set: &str) -> Result<PlannedDeploy, Error> {
        let mut plans = self.lock();
        match plans.remove(profile) {
            Some(p) if p.plan.change_set_name == change_set => Ok(p),
            other => {
                // Another plan of the profile stays pending.
                if let Some(p) = other {
                    plans.insert(profile.to_string(), p);
                }
                Err(Error::PlanNotFound(change_set.to_string()))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PlannedDeploy>> {
        // A panic while holding the map leaves it whole (one insert/remove).
        self.plans.lock().unwrap_or_else(|e| e.into_inner())
    }
}
