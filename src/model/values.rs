//! The numbers a report and a stock entry carry, by name.
//!
//! A report has four flows (what happened that day); a unit has five stock
//! values that hold from a day on. Every layer passes them as these structs,
//! so a value is never picked out of an array by position.

use std::ops::Sub;

use entity::stock_value::StockMetric;

/// The largest value one report or stock value may hold: GraphQL's `Int`
/// (32-bit signed), the type every value is written as. The CSV reader,
/// the checks of every row and the engine's reader hold values to it, so a
/// value keeps its width end to end; sums are 64-bit.
pub const MAX_VALUE: i64 = i32::MAX as i64;

/// The four flows of a report: what one unit did on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flows<T = i64> {
    /// CCCD applications collected.
    pub applications_collected: T,
    /// Chip ID cards handed over.
    pub cards_issued: T,
    /// VNeID level-2 accounts activated.
    pub accounts_activated: T,
    /// Home visits for people who cannot come in.
    pub home_visits: T,
}

/// The GraphQL names of the four flows, in [`Flows::named`] order.
pub const FLOW_FIELDS: [&str; 4] = [
    "applicationsCollected",
    "cardsIssued",
    "accountsActivated",
    "homeVisits",
];

impl<T: Copy> Flows<T> {
    /// Each flow with its GraphQL name.
    pub fn named(&self) -> [(&'static str, T); 4] {
        [
            (FLOW_FIELDS[0], self.applications_collected),
            (FLOW_FIELDS[1], self.cards_issued),
            (FLOW_FIELDS[2], self.accounts_activated),
            (FLOW_FIELDS[3], self.home_visits),
        ]
    }

    /// The flows with `f` applied to each.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Flows<U> {
        Flows {
            applications_collected: f(self.applications_collected),
            cards_issued: f(self.cards_issued),
            accounts_activated: f(self.accounts_activated),
            home_visits: f(self.home_visits),
        }
    }

    /// The flows in the engine's column order (applications, cards,
    /// accounts, visits).
    pub fn to_array(self) -> [T; 4] {
        [
            self.applications_collected,
            self.cards_issued,
            self.accounts_activated,
            self.home_visits,
        ]
    }

    /// The flows from the engine's column order.
    pub fn from_array(
        [
            applications_collected,
            cards_issued,
            accounts_activated,
            home_visits,
        ]: [T; 4],
    ) -> Self {
        Flows {
            applications_collected,
            cards_issued,
            accounts_activated,
            home_visits,
        }
    }
}

impl Sub for Flows<i64> {
    type Output = Flows<i64>;
    fn sub(self, other: Flows<i64>) -> Flows<i64> {
        Flows {
            applications_collected: self.applications_collected - other.applications_collected,
            cards_issued: self.cards_issued - other.cards_issued,
            accounts_activated: self.accounts_activated - other.accounts_activated,
            home_visits: self.home_visits - other.home_visits,
        }
    }
}

/// The five stock values of a unit from a day on. Submitted with `Option`
/// (`None` leaves a value as it is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stocks<T = i64> {
    /// People of card age registered as residents.
    pub eligible_population: T,
    /// People of card age actually present.
    pub present_population: T,
    /// People who may hold a level-2 VNeID account.
    pub accounts_eligible: T,
    /// Cards issued before the unit's first report (an opening balance).
    pub cards_issued_opening: T,
    /// Accounts activated before the unit's first report (an opening
    /// balance).
    pub accounts_activated_opening: T,
}

/// The GraphQL names of the five stock values, in [`Stocks::named`] order.
pub const STOCK_FIELDS: [&str; 5] = [
    "eligiblePopulation",
    "presentPopulation",
    "accountsEligible",
    "cardsIssuedOpening",
    "accountsActivatedOpening",
];

impl<T: Copy> Stocks<T> {
    /// Each stock value with its GraphQL name.
    pub fn named(&self) -> [(&'static str, T); 5] {
        [
            (STOCK_FIELDS[0], self.eligible_population),
            (STOCK_FIELDS[1], self.present_population),
            (STOCK_FIELDS[2], self.accounts_eligible),
            (STOCK_FIELDS[3], self.cards_issued_opening),
            (STOCK_FIELDS[4], self.accounts_activated_opening),
        ]
    }

    /// Each stock value with the metric it is stored under.
    pub fn by_metric(&self) -> [(StockMetric, T); 5] {
        [
            (StockMetric::EligiblePopulation, self.eligible_population),
            (StockMetric::PresentPopulation, self.present_population),
            (StockMetric::AccountsEligible, self.accounts_eligible),
            (StockMetric::CardsIssuedOpening, self.cards_issued_opening),
            (
                StockMetric::AccountsActivatedOpening,
                self.accounts_activated_opening,
            ),
        ]
    }

    /// The stock values in [`STOCK_FIELDS`] order (the columns of a file).
    pub fn from_array(
        [
            eligible_population,
            present_population,
            accounts_eligible,
            cards_issued_opening,
            accounts_activated_opening,
        ]: [T; 5],
    ) -> Self {
        Stocks {
            eligible_population,
            present_population,
            accounts_eligible,
            cards_issued_opening,
            accounts_activated_opening,
        }
    }

    /// The stock values with `f` applied to each.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Stocks<U> {
        Stocks {
            eligible_population: f(self.eligible_population),
            present_population: f(self.present_population),
            accounts_eligible: f(self.accounts_eligible),
            cards_issued_opening: f(self.cards_issued_opening),
            accounts_activated_opening: f(self.accounts_activated_opening),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_subtract_and_keep_their_names() {
        let a = Flows::from_array([1, 2, 3, 4]);
        let b = Flows {
            applications_collected: 10,
            cards_issued: 20,
            accounts_activated: 30,
            home_visits: 40,
        };
        assert_eq!((b - a).to_array(), [9, 18, 27, 36]);
        assert_eq!(a - a, Flows::default());
        assert_eq!(a.named()[1], ("cardsIssued", 2));
        assert_eq!(a.map(|v| v * 2).home_visits, 8);
        let stocks = Stocks {
            accounts_eligible: Some(5),
            ..Stocks::default()
        };
        assert_eq!(stocks.named()[2], ("accountsEligible", Some(5)));
        assert_eq!(stocks.named()[0], ("eligiblePopulation", None));
    }
}
