//! Fault injection: rules that make the gateway misbehave for chosen telegrams.
//!
//! A rule matches a telegram kind (or all) and optionally one payment ID, and fires a
//! limited number of times (or until cleared). Every matching latency rule adds its delay;
//! the first matching rule of any other kind decides what happens instead of (or, for
//! `commit_then_drop`, after) normal processing.

use serde::{Deserialize, Serialize};

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Wait this many milliseconds before processing.
    LatencyMs(u64),
    /// Answer this HTTP status without processing.
    HttpStatus(u16),
    /// Never answer (hold the request, then close the connection) without processing.
    Timeout,
    /// Process the telegram, then close the connection without answering.
    CommitThenDrop,
    /// Answer `result=1, response_code=9004` without processing.
    #[serde(rename = "busy_9004")]
    Busy9004,
    /// Answer `result=1` with this response code without processing.
    ResponseCode(String),
    /// Process a follow-up telegram (021/022/023, 340/341/342) only as far as its
    /// processing status (30/31/42) and answer the processing error: 2008 (card) or
    /// 24005 (Paidy timeout), §5.2–§5.3, §4.9.
    Processing,
    /// As `processing`, but a 023 gets as far as the settlement: status 50.
    ProcessingSettling,
}

impl Fault {
    /// A short name for the event log.
    pub fn name(&self) -> String {
        match self {
            Fault::LatencyMs(ms) => format!("latency_ms:{ms}"),
            Fault::HttpStatus(status) => format!("http_status:{status}"),
            Fault::Timeout => "timeout".into(),
            Fault::CommitThenDrop => "commit_then_drop".into(),
            Fault::Busy9004 => "busy_9004".into(),
            Fault::ResponseCode(code) => format!("response_code:{code}"),
            Fault::Processing => "processing".into(),
            Fault::ProcessingSettling => "processing_settling".into(),
        }
    }
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Assigned by the plan.
    #[serde(default)]
    pub id: u64,
    /// The kind it applies to (`"022"`); `None` = every kind.
    #[serde(default)]
    pub telegram_kind: Option<String>,
    /// What happens.
    pub fault: Fault,
    /// How many more times it fires; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
    /// Only telegrams naming this payment ID.
    #[serde(default)]
    pub payment_id: Option<String>,
}

/// The faults that fire for one telegram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fired {
    /// Total added latency.
    pub latency_ms: u64,
    /// The action instead of (or after) processing.
    pub action: Option<Fault>,
    /// Names of everything that fired, for the event log.
    pub names: Vec<String>,
}

/// The active fault rules.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl FaultPlan {
    /// Adds a rule and returns its id.
    pub fn add(&mut self, mut rule: FaultRule) -> u64 {
        self.next_id += 1;
        rule.id = self.next_id;
        self.rules.push(rule);
        self.next_id
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The active rules.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Takes the faults for a telegram, consuming one use of each fired rule.
    pub fn take(&mut self, kind: &str, payment_id: Option<&str>) -> Fired {
        let mut fired = Fired::default();
        for rule in &mut self.rules {
            let kind_ok = rule.telegram_kind.as_deref().is_none_or(|k| k == kind);
            let payment_ok = rule
                .payment_id
                .as_deref()
                .is_none_or(|id| Some(id) == payment_id);
            if !kind_ok || !payment_ok || rule.times == Some(0) {
                continue;
            }
            let fires = match &rule.fault {
                Fault::LatencyMs(ms) => {
                    fired.latency_ms += ms;
                    true
                }
                other if fired.action.is_none() => {
                    fired.action = Some(other.clone());
                    true
                }
                _ => false,
            };
            if fires {
                fired.names.push(rule.fault.name());
                if let Some(times) = &mut rule.times {
                    *times -= 1;
                }
            }
        }
        self.rules.retain(|r| r.times != Some(0));
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: Option<&str>, fault: Fault, times: Option<u32>) -> FaultRule {
        FaultRule {
            id: 0,
            telegram_kind: kind.map(str::to_owned),
            fault,
            times,
            payment_id: None,
        }
    }

    #[test]
    fn rules_match_kind_and_count_down() {
        let mut plan = FaultPlan::default();
        plan.add(rule(Some("022"), Fault::CommitThenDrop, Some(1)));
        plan.add(rule(None, Fault::LatencyMs(5), None));
        let first = plan.take("022", None);
        assert_eq!(first.action, Some(Fault::CommitThenDrop));
        assert_eq!(first.latency_ms, 5);
        let second = plan.take("022", None);
        assert_eq!(second.action, None);
        assert_eq!(plan.take("021", None).latency_ms, 5);
        plan.clear();
        assert_eq!(plan.take("021", None), Fired::default());
    }

    #[test]
    fn payment_targeted_rules_only_fire_for_that_payment() {
        let mut plan = FaultPlan::default();
        plan.add(FaultRule {
            payment_id: Some("7".into()),
            ..rule(None, Fault::HttpStatus(503), None)
        });
        assert_eq!(plan.take("022", Some("8")).action, None);
        assert_eq!(
            plan.take("022", Some("7")).action,
            Some(Fault::HttpStatus(503))
        );
    }

    #[test]
    fn faults_parse_from_the_documented_json() {
        let cases = [
            (r#"{"latency_ms": 20}"#, Fault::LatencyMs(20)),
            (r#"{"http_status": 503}"#, Fault::HttpStatus(503)),
            (r#""timeout""#, Fault::Timeout),
            (r#""commit_then_drop""#, Fault::CommitThenDrop),
            (r#""busy_9004""#, Fault::Busy9004),
            (
                r#"{"response_code": "E001"}"#,
                Fault::ResponseCode("E001".into()),
            ),
            (r#""processing""#, Fault::Processing),
            (r#""processing_settling""#, Fault::ProcessingSettling),
        ];
        for (json, want) in cases {
            let got: Fault = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(got, want);
        }
    }
}
