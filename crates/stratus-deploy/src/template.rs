//! The deploy template, compiled in so the CLI and the app deploy exactly
//! the template `make test` lints (`infra/stratus.yaml`).

pub const TEMPLATE: &str = include_str!("../../../infra/stratus.yaml");

#[cfg(test)]
mod tests {
    use super::TEMPLATE;

    /// The statements of a role's inline policy as (sid, action, resource)
    /// lines, read from the template's text (one `Action:` and one
    /// `Resource:` line per statement, as the template writes them).
    fn statements(role: &str) -> Vec<(String, String, String)> {
        let start = TEMPLATE
            .find(&format!("\n  {role}:\n"))
            .unwrap_or_else(|| panic!("{role} in the template"));
        // Its lines, up to the next resource (a name indented by two).
        let block: String = TEMPLATE[start + 1..]
            .lines()
            .enumerate()
            .take_while(|(i, line)| {
                *i == 0 || line.is_empty() || line.starts_with("   ") || line.starts_with("  #")
            })
            .map(|(_, line)| format!("{line}\n"))
            .collect();
        let mut out = Vec::new();
        for statement in block.split("- Sid: ").skip(1) {
            let value = |key: &str| {
                statement
                    .lines()
                    .map(str::trim)
                    .find_map(|l| l.strip_prefix(key))
                    .unwrap_or_else(|| panic!("{key} in {statement}"))
                    .trim()
                    .to_string()
            };
            let sid = statement
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            out.push((sid, value("Action:"), value("Resource:")));
        }
        out
    }

    /// The campaign worker's role allows exactly what the worker does:
    /// SNS sends (SMS numbers have no resource, so `*`, which covers push
    /// endpoints too), its marks, its queue, reading manifests under
    /// `campaigns/` and writing in-app messages under `inbox/` — no other
    /// object of the events bucket.
    #[test]
    fn the_campaign_worker_may_write_the_inbox_and_nothing_else_of_the_bucket() {
        let got = statements("CampaignWorkerRole");
        let want = [
            (
                "Logs",
                "[logs:CreateLogStream, logs:PutLogEvents]",
                "!GetAtt CampaignWorkerLogGroup.Arn",
            ),
            (
                "Send",
                "[sns:Publish, sns:CheckIfPhoneNumberIsOptedOut]",
                "\"*\"",
            ),
            (
                "Marks",
                "[dynamodb:GetItem, dynamodb:UpdateItem]",
                "!GetAtt CampaignMarks.Arn",
            ),
            (
                "Chunks",
                "[sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:SendMessage]",
                "!GetAtt CampaignQueue.Arn",
            ),
            (
                "ReadManifests",
                "s3:GetObject",
                "!Sub \"${EventsBucket.Arn}/campaigns/*\"",
            ),
            (
                "WriteInbox",
                "s3:PutObject",
                "!Sub \"${EventsBucket.Arn}/inbox/*\"",
            ),
        ];
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(s, a, r)| (s.to_string(), a.to_string(), r.to_string()))
            .collect();
        assert_eq!(got, want);
    }
}
