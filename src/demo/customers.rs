//! Generated customer profiles for segmentation beyond RFM: the eight features of the classic
//! "customer segmentation with K-Means" recipe, drawn around five planted personas so a fit has
//! real groups to find. Deterministic: the same rows and seed give the same table.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// The planted personas' names, in the order of [`Customers::persona`].
pub const PERSONA_NAMES: [&str; 5] = [
    "bargain hunter",
    "affluent professional",
    "frugal family",
    "retired loyalist",
    "occasional browser",
];

/// The product categories, in the recipe's order.
pub const CATEGORIES: [&str; 4] = ["electronics", "fashion", "home_goods", "beauty"];

/// Customer profiles, one `Vec` per column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customers {
    /// 1, 2, ...
    pub customer_id: Vec<i64>,
    /// Yearly income in dollars.
    pub annual_income: Vec<f64>,
    /// 1 to 100, the store's spending score.
    pub spending_score: Vec<i64>,
    /// Purchases in the last year.
    pub number_of_purchases: Vec<i64>,
    /// Years, 18 to 90.
    pub age: Vec<i64>,
    /// Whole years since the first purchase.
    pub years_with_company: Vec<i64>,
    /// Dollars per order.
    pub average_order_value: Vec<f64>,
    /// Visits per week.
    pub activity_per_week: Vec<f64>,
    /// One of [`CATEGORIES`]: the category bought most.
    pub product_category: Vec<&'static str>,
    /// The persona each row was drawn from (0 to 4), for tests that check a fit finds them.
    pub persona: Vec<u8>,
}

/// One planted group: each feature's mean and spread, and the odds of each category.
struct Persona {
    share: f64,
    age: (f64, f64),
    income: (f64, f64),
    spending: (f64, f64),
    purchases: (f64, f64),
    years: (f64, f64),
    order_value: (f64, f64),
    activity: (f64, f64),
    categories: [f64; 4],
}

/// Young bargain hunters, affluent professionals, frugal families, retired loyalists and
/// occasional browsers.
const PERSONAS: [Persona; 5] = [
    Persona {
        share: 0.25,
        age: (24.0, 3.5),
        income: (32_000.0, 7_000.0),
        spending: (76.0, 9.0),
        purchases: (30.0, 7.0),
        years: (1.5, 1.0),
        order_value: (38.0, 10.0),
        activity: (5.0, 1.2),
        categories: [0.15, 0.5, 0.05, 0.3],
    },
    Persona {
        share: 0.2,
        age: (42.0, 6.0),
        income: (115_000.0, 18_000.0),
        spending: (68.0, 10.0),
        purchases: (20.0, 5.0),
        years: (6.0, 2.0),
        order_value: (230.0, 45.0),
        activity: (2.2, 0.7),
        categories: [0.6, 0.2, 0.15, 0.05],
    },
    Persona {
        share: 0.22,
        age: (38.0, 6.0),
        income: (62_000.0, 10_000.0),
        spending: (36.0, 9.0),
        purchases: (24.0, 6.0),
        years: (8.0, 3.0),
        order_value: (85.0, 20.0),
        activity: (3.0, 0.9),
        categories: [0.15, 0.1, 0.65, 0.1],
    },
    Persona {
        share: 0.15,
        age: (68.0, 5.0),
        income: (45_000.0, 9_000.0),
        spending: (42.0, 11.0),
        purchases: (12.0, 4.0),
        years: (16.0, 4.0),
        order_value: (62.0, 15.0),
        activity: (1.5, 0.5),
        categories: [0.1, 0.1, 0.5, 0.3],
    },
    Persona {
        share: 0.18,
        age: (31.0, 8.0),
        income: (52_000.0, 14_000.0),
        spending: (18.0, 7.0),
        purchases: (4.0, 2.0),
        years: (2.0, 1.5),
        order_value: (48.0, 15.0),
        activity: (0.6, 0.3),
        categories: [0.3, 0.3, 0.2, 0.2],
    },
];

/// `rows` customer profiles drawn with `seed`.
pub fn customers(rows: usize, seed: u64) -> Customers {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Customers::default();
    for id in 1..=rows {
        let p = pick_persona(&mut rng);
        let persona = &PERSONAS[p];
        let mut draw = |(mean, sd): (f64, f64)| {
            Normal::new(mean, sd)
                .expect("the personas' spreads are positive")
                .sample(&mut rng)
        };
        let income = draw(persona.income).max(12_000.0);
        // within a persona, richer customers also spend more per order
        let income_z = (income - persona.income.0) / persona.income.1;
        let order_value =
            (draw(persona.order_value) + 0.4 * persona.order_value.1 * income_z).max(5.0);
        out.customer_id.push(id as i64);
        out.annual_income.push((income / 100.0).round() * 100.0);
        out.spending_score
            .push(draw(persona.spending).round().clamp(1.0, 100.0) as i64);
        out.number_of_purchases
            .push(draw(persona.purchases).round().max(0.0) as i64);
        let age = draw(persona.age).round().clamp(18.0, 90.0);
        out.age.push(age as i64);
        out.years_with_company
            .push(draw(persona.years).round().clamp(0.0, age - 18.0) as i64);
        out.average_order_value
            .push((order_value * 100.0).round() / 100.0);
        out.activity_per_week
            .push((draw(persona.activity).max(0.0) * 10.0).round() / 10.0);
        out.product_category
            .push(CATEGORIES[pick(&mut rng, &persona.categories)]);
        out.persona.push(p as u8);
    }
    out
}

fn pick_persona(rng: &mut ChaCha8Rng) -> usize {
    let shares = PERSONAS.map(|p| p.share);
    pick(rng, &shares)
}

/// An index drawn with the given odds (summing to 1).
fn pick(rng: &mut ChaCha8Rng, odds: &[f64]) -> usize {
    let mut u: f64 = rng.random();
    for (i, &p) in odds.iter().enumerate() {
        if u < p {
            return i;
        }
        u -= p;
    }
    odds.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_customers() {
        assert_eq!(customers(500, 3), customers(500, 3));
        assert_ne!(customers(500, 3), customers(500, 4));
    }

    #[test]
    fn values_stay_in_their_ranges_and_personas_differ() {
        let c = customers(20_000, 1);
        assert!(c.spending_score.iter().all(|s| (1..=100).contains(s)));
        assert!(c.age.iter().all(|a| (18..=90).contains(a)));
        assert!(c.annual_income.iter().all(|&i| i >= 12_000.0));
        assert!(c.average_order_value.iter().all(|&v| v >= 5.0));
        let mean_income = |p: u8| {
            let (sum, n) = c
                .persona
                .iter()
                .zip(&c.annual_income)
                .filter(|(q, _)| **q == p)
                .fold((0.0, 0.0), |(s, n), (_, i)| (s + i, n + 1.0));
            sum / n
        };
        // the affluent professionals earn about twice the families' income
        assert!(mean_income(1) > 1.7 * mean_income(2), "{}", mean_income(1));
        for category in CATEGORIES {
            assert!(c.product_category.contains(&category));
        }
    }
}
