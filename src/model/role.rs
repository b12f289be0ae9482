//! Who speaks in a call: the two roles callqa tells apart, and their labels in transcripts.

use std::fmt;

/// A party of the call. Transcripts store the role as its label (`"agent"`, `"customer"`); a
/// pasted transcript may use other speaker names, which have no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The vendor's agent.
    Agent,
    /// The caller or the called person.
    Customer,
}

impl Role {
    /// The label written in `segments[].speaker`.
    pub const fn label(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Customer => "customer",
        }
    }

    /// The role a speaker label stands for; `None` for any other name.
    pub fn of_label(label: &str) -> Option<Role> {
        match label {
            "agent" => Some(Role::Agent),
            "customer" => Some(Role::Customer),
            _ => None,
        }
    }

    /// Whether `label` names this role.
    pub fn is(self, label: &str) -> bool {
        label == self.label()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for role in [Role::Agent, Role::Customer] {
            assert_eq!(Role::of_label(role.label()), Some(role));
            assert!(role.is(role.label()));
        }
        assert_eq!(Role::of_label("Anna"), None);
    }
}
