//! What a change set will do, in words an admin can check before saying
//! yes: each resource added, changed (and whether it is replaced, which
//! for a bucket would mean a new, empty one) or removed.

use serde::Serialize;

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Action {
    Add,
    Modify,
    Remove,
    /// Anything else CloudFormation reports (`Import`, `Dynamic`).
    Other,
}

/// Whether a modified resource is replaced (deleted and created again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Replacement {
    No,
    Yes,
    /// Depends on values known only while the stack updates.
    Conditional,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub action: Action,
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: Replacement,
}

/// A stack change set: created, not executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub stack_name: String,
    pub change_set_name: String,
    /// The stack does not exist yet.
    pub creates_stack: bool,
    pub changes: Vec<Change>,
}

impl Plan {
    /// Nothing to do: the stack already matches the template and parameters.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Changes that replace a resource or remove one: said first and loud.
    pub fn destructive(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| {
            c.action == Action::Remove
                || (c.action == Action::Modify && c.replacement != Replacement::No)
        })
    }

    /// The changes in the order to show them: removals, then replacements,
    /// then possible replacements, then the rest; by name within each.
    pub fn ordered(&self) -> Vec<&Change> {
        let mut changes: Vec<&Change> = self.changes.iter().collect();
        changes.sort_by_key(|c| (danger(c), c.action, c.logical_id.clone()));
        changes
    }

    /// The plan as lines for a terminal: removals and replacements first.
    pub fn lines(&self) -> Vec<String> {
        let changes = self.ordered();
        let mut lines = vec![format!(
            "{} stack {}: {} change(s)",
            if self.creates_stack {
                "Create"
            } else {
                "Update"
            },
            self.stack_name,
            self.changes.len()
        )];
        for c in changes {
            let what = match (c.action, c.replacement) {
                (Action::Add, _) => "+ add    ",
                (Action::Remove, _) => "- remove ",
                (Action::Modify, Replacement::Yes) => "! replace",
                (Action::Modify, Replacement::Conditional) => "? maybe replace",
                (Action::Modify, Replacement::No) => "~ change ",
                (Action::Other, _) => "  other  ",
            };
            lines.push(format!("  {what} {:<32} {}", c.logical_id, c.resource_type));
        }
        lines
    }
}

/// Sort key: destructive changes first.
fn danger(c: &Change) -> u8 {
    match (c.action, c.replacement) {
        (Action::Remove, _) => 0,
        (Action::Modify, Replacement::Yes) => 1,
        (Action::Modify, Replacement::Conditional) => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: Action, id: &str, replacement: Replacement) -> Change {
        Change {
            action,
            logical_id: id.into(),
            resource_type: "AWS::S3::Bucket".into(),
            replacement,
        }
    }

    #[test]
    fn removals_and_replacements_are_listed_first() {
        let plan = Plan {
            stack_name: "shop".into(),
            change_set_name: "cs".into(),
            creates_stack: false,
            changes: vec![
                change(Action::Add, "NewThing", Replacement::No),
                change(Action::Modify, "Tweaked", Replacement::No),
                change(Action::Modify, "MediaBucket", Replacement::Yes),
                change(Action::Remove, "OldThing", Replacement::No),
            ],
        };
        let lines = plan.lines();
        assert_eq!(lines[0], "Update stack shop: 4 change(s)");
        assert!(lines[1].contains("- remove") && lines[1].contains("OldThing"));
        assert!(lines[2].contains("! replace") && lines[2].contains("MediaBucket"));
        assert!(lines[4].contains("~ change") && lines[4].contains("Tweaked"));
        let loud: Vec<_> = plan.destructive().map(|c| c.logical_id.as_str()).collect();
        assert_eq!(loud, ["MediaBucket", "OldThing"]);
    }
}
