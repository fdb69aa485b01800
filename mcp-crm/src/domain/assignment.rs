//! How a lead is matched to a seller.

promptsales_shared::vocabulary! {
    /// How `assign_lead` picks a seller: `round_robin` (the active seller
    /// with room who waited longest), `least_loaded` (fewest open leads,
    /// respecting capacity) or `by_country` (sellers covering the lead's
    /// country, least loaded first).
    pub enum AssignStrategy("strategy") {
        RoundRobin => "round_robin",
        LeastLoaded => "least_loaded",
        ByCountry => "by_country",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_parse_from_wire_names() {
        assert_eq!(
            AssignStrategy::parse(" Round_Robin ").unwrap(),
            AssignStrategy::RoundRobin
        );
        let e = AssignStrategy::parse("random").unwrap_err().to_string();
        assert!(e.contains("`strategy`") && e.contains("by_country"), "{e}");
    }
}
