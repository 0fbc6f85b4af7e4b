//! A deterministic generator of online-retail-shaped transaction lines, in plain Rust.
//!
//! The shape follows the UCI "Online Retail" data that RFM tutorials use: a UK gift wholesaler,
//! one year (2010-12-01 .. 2011-12-09) of invoice lines. Invoice numbers grow with time and ~2% of
//! lines belong to cancellation invoices ('C' prefix, negative quantity); ~20% of invoices have no
//! customer (guest checkouts); customers' activity is heavy-tailed (log-normal weights), each has
//! an active period and at least one ordinary invoice; quantities come in pack sizes, prices are
//! log-normal per product with a bulk discount; no Saturdays, busier September to November.
//!
//! The same [`DemoConfig`] always gives the same lines (ChaCha8 is portable across platforms).

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp, LogNormal, Normal};

/// 2010-12-01T00:00:00 in seconds since the Unix epoch (a Wednesday).
pub const START_SECONDS: i64 = 1_291_161_600;
/// Days covered: 2010-12-01 ..= 2011-12-09.
pub const DAYS: usize = 374;
/// The first invoice number.
pub const FIRST_INVOICE: u64 = 536_365;
/// The first customer id.
pub const FIRST_CUSTOMER: i64 = 12_346;

/// Countries and their relative share of customers (the UK dominates, as in the real data).
pub const COUNTRIES: &[(&str, f64)] = &[
    ("United Kingdom", 3950.0),
    ("Germany", 95.0),
    ("France", 87.0),
    ("Spain", 31.0),
    ("Belgium", 25.0),
    ("Switzerland", 21.0),
    ("Portugal", 19.0),
    ("Italy", 15.0),
    ("Finland", 12.0),
    ("Austria", 11.0),
    ("Norway", 10.0),
    ("Netherlands", 9.0),
    ("Australia", 9.0),
    ("Denmark", 9.0),
    ("Channel Islands", 9.0),
    ("Sweden", 8.0),
    ("Japan", 8.0),
    ("Cyprus", 8.0),
    ("Poland", 6.0),
    ("EIRE", 3.0),
    ("USA", 4.0),
    ("Canada", 4.0),
    ("Israel", 4.0),
    ("Greece", 4.0),
    ("Iceland", 1.0),
    ("Singapore", 1.0),
    ("Brazil", 1.0),
];

const COLOURS: &[&str] = &[
    "IVORY",
    "SCARLET",
    "PASTEL",
    "MINT",
    "NAVY",
    "ANTIQUE",
    "RUSTIC",
    "GINGHAM",
    "BIRDCAGE",
    "STRIPED",
    "SPOTTED",
    "LACE",
    "ZINC",
    "COPPER",
    "PEWTER",
    "SKY BLUE",
    "LILAC",
    "CHERRY",
    "BLOSSOM",
    "NORDIC",
    "ENGLISH ROSE",
    "DOTTY",
    "VICTORIAN",
    "PARISIENNE",
    "WOODLAND",
    "SET OF 4",
    "BOX OF 12",
    "GIANT",
    "TINY",
];

const GOODS: &[&str] = &[
    "CANDLE POT",
    "TEA TOWEL",
    "TOTE BAG",
    "PICNIC BASKET",
    "BUNTING",
    "EGG CUP",
    "SERVIETTES",
    "MUFFIN CASES",
    "DOOR STOP",
    "WALL CLOCK",
    "BAUBLE",
    "PICTURE FRAME",
    "DIFFUSER",
    "BEAKER",
    "PRESERVE JAR",
    "WASHBAG",
    "HOTTIE COVER",
    "TEALIGHT LANTERN",
    "TRAY",
    "BISCUIT TIN",
    "TRINKET BOX",
    "THROW PILLOW",
    "HANGING BIRD",
    "MEMO BOARD",
    "ENAMEL SIGN",
    "SIDE PLATE",
    "SERVING BOWL",
    "PAPER CHAIN",
    "JOURNAL",
    "GIFT WRAP",
    "SHOPPING BAG",
    "CUPBOARD KNOB",
    "HOOK RAIL",
    "DRINKS FLASK",
    "COIN PURSE",
    "HAND WARMER",
    "COOKIE CUTTERS",
];

/// Pack sizes and how often each is bought.
const PACKS: &[(i64, f64)] = &[
    (1, 0.27),
    (2, 0.15),
    (3, 0.07),
    (4, 0.07),
    (5, 0.02),
    (6, 0.09),
    (8, 0.03),
    (10, 0.04),
    (12, 0.13),
    (16, 0.02),
    (20, 0.01),
    (24, 0.04),
    (25, 0.01),
    (36, 0.01),
    (48, 0.01),
    (72, 0.005),
    (96, 0.005),
    (100, 0.004),
    (144, 0.003),
    (288, 0.001),
];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    /// Number of transaction lines.
    pub rows: usize,
    /// Number of distinct customers (default rows / 25).
    pub customers: usize,
    /// Random seed.
    pub seed: u64,
    /// Number of distinct products (plus three special codes).
    pub products: usize,
    /// The id of the first customer; a part of a larger data set starts past the ids of the
    /// parts before it, so the parts' customers are distinct.
    pub first_customer: i64,
    /// The number of the first invoice (likewise per part).
    pub first_invoice: u64,
}

impl DemoConfig {
    /// `rows` lines with the default customers (rows / 25), seed 42 and 4000 products.
    pub fn new(rows: usize) -> Self {
        Self {
            rows,
            customers: (rows / 25).max(1),
            seed: 42,
            products: 4000,
            first_customer: FIRST_CUSTOMER,
            first_invoice: FIRST_INVOICE,
        }
    }
}

impl DemoConfig {
    /// This data set cut into `parts` configurations of about equal size that can be generated
    /// one at a time (a billion lines do not fit in memory at once): part `i` has its own seed
    /// (`seed + i`) and its own customers and invoice numbers, past those of the parts before
    /// it, so the parts together hold `rows` lines of `customers` distinct customers.
    pub fn parts(&self, parts: usize) -> Vec<DemoConfig> {
        let parts = parts.clamp(1, self.rows.max(1));
        let share = |total: usize, i: usize| total / parts + usize::from(i < total % parts);
        let mut first_customer = self.first_customer;
        let mut first_invoice = self.first_invoice;
        (0..parts)
            .map(|i| {
                let rows = share(self.rows, i);
                let customers = share(self.customers, i).max(1);
                let part = DemoConfig {
                    rows,
                    customers,
                    seed: self.seed.wrapping_add(i as u64),
                    first_customer,
                    first_invoice,
                    ..*self
                };
                first_customer += customers as i64;
                // a part never has more invoices than lines
                first_invoice += rows as u64;
                part
            })
            .collect()
    }
}

/// A product of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Stock code, e.g. `85123A`.
    pub code: String,
    /// Upper-case description.
    pub description: String,
    /// List price.
    pub price: f64,
}

/// The generated lines, column by column (customer and country are indices).
#[derive(Debug, Clone, Default)]
pub struct Lines {
    /// Invoice number of each line.
    pub invoice: Vec<u64>,
    /// Whether the line's invoice is a cancellation.
    pub cancelled: Vec<bool>,
    /// Index into [`Lines::products`].
    pub product: Vec<u32>,
    /// Quantity (negative on cancellations).
    pub quantity: Vec<i64>,
    /// Invoice time, microseconds since the Unix epoch.
    pub time_us: Vec<i64>,
    /// Unit price.
    pub unit_price: Vec<f64>,
    /// Customer id, `None` for guest invoices.
    pub customer: Vec<Option<i64>>,
    /// Index into [`COUNTRIES`].
    pub country: Vec<u16>,
    /// The product catalogue.
    pub products: Vec<Product>,
}

struct Customers {
    weight: Vec<f64>,
    country: Vec<u16>,
    first_day: Vec<usize>,
    last_day: Vec<usize>,
}

struct Invoice {
    customer: Option<usize>,
    cancelled: bool,
    lines: usize,
    seconds: i64,
    country: u16,
}

/// Generate the lines described by `config`.
pub fn generate(config: &DemoConfig) -> Lines {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    if config.rows == 0 {
        return Lines::default();
    }
    let customers = make_customers(&mut rng, config.customers.max(1));
    let mut invoices = make_invoices(&mut rng, config.rows);
    assign_customers(&mut rng, &mut invoices, &customers);
    assign_times(&mut rng, &mut invoices, &customers);
    invoices.sort_by_key(|inv| inv.seconds);
    let products = make_products(&mut rng, config.products.max(1));
    make_lines(&mut rng, &invoices, products, config)
}

fn weighted(weights: impl IntoIterator<Item = f64>) -> WeightedIndex<f64> {
    WeightedIndex::new(weights).expect("generator weights are positive and finite")
}

fn make_customers(rng: &mut ChaCha8Rng, n: usize) -> Customers {
    let activity = LogNormal::new(0.0, 2.0).expect("valid log-normal");
    let lifetime = Exp::new(1.0 / 400.0).expect("valid exponential");
    let countries = weighted(COUNTRIES.iter().map(|c| c.1));
    let mut c = Customers {
        weight: Vec::with_capacity(n),
        country: Vec::with_capacity(n),
        first_day: Vec::with_capacity(n),
        last_day: Vec::with_capacity(n),
    };
    for _ in 0..n {
        c.weight.push(activity.sample(rng));
        c.country.push(countries.sample(rng) as u16);
        let first = if rng.random::<f64>() < 0.45 {
            0
        } else {
            rng.random_range(0..DAYS)
        };
        let life = 30 + lifetime.sample(rng) as usize;
        c.first_day.push(first);
        c.last_day.push((first + life).min(DAYS - 1));
    }
    c
}

fn make_invoices(rng: &mut ChaCha8Rng, rows: usize) -> Vec<Invoice> {
    let normal_lines = LogNormal::new(1.1, 1.0).expect("valid log-normal");
    let cancel_lines = LogNormal::new(0.2, 0.8).expect("valid log-normal");
    let mut invoices = Vec::with_capacity(rows / 4);
    let mut total = 0;
    while total < rows {
        let guest = rng.random::<f64>() < 0.20;
        let cancelled = !guest && rng.random::<f64>() < 0.061;
        let drawn = if cancelled {
            cancel_lines.sample(rng)
        } else {
            normal_lines.sample(rng)
        };
        let lines = (1 + drawn as usize).min(400).min(rows - total);
        total += lines;
        invoices.push(Invoice {
            customer: if guest { None } else { Some(usize::MAX) },
            cancelled,
            lines,
            seconds: 0,
            country: 0,
        });
    }
    invoices
}

/// Every customer gets one ordinary invoice (when there are enough); the other customer
/// invoices, cancellations included, go by activity weight.
fn assign_customers(rng: &mut ChaCha8Rng, invoices: &mut [Invoice], customers: &Customers) {
    let n = customers.weight.len();
    let mut ordinary: Vec<usize> = (0..invoices.len())
        .filter(|&i| invoices[i].customer.is_some() && !invoices[i].cancelled)
        .collect();
    let mut rest: Vec<usize> = (0..invoices.len())
        .filter(|&i| invoices[i].cancelled)
        .collect();
    if ordinary.len() >= n {
        ordinary.shuffle(rng);
        let mut ids: Vec<usize> = (0..n).collect();
        ids.shuffle(rng);
        for (slot, id) in ordinary.iter().zip(ids) {
            invoices[*slot].customer = Some(id);
        }
        rest.extend_from_slice(&ordinary[n..]);
    } else {
        rest.extend_from_slice(&ordinary);
    }
    rest.sort_unstable();
    let by_activity = weighted(customers.weight.iter().copied());
    for i in rest {
        invoices[i].customer = Some(by_activity.sample(rng));
    }
}

fn day_weights() -> Vec<f64> {
    (0..DAYS)
        .map(|d| {
            let seconds = START_SECONDS + d as i64 * 86_400;
            let (_, month, _) = civil_from_days(seconds.div_euclid(86_400));
            let weekday = (d + 2) % 7; // 0 = Monday; day 0 is a Wednesday
            let mut w = match month {
                9 | 10 => 1.5,
                11 => 1.9,
                _ => 1.0,
            };
            if weekday == 6 {
                w *= 0.6;
            }
            if weekday == 5 {
                w = 0.0;
            }
            w
        })
        .collect()
}

fn assign_times(rng: &mut ChaCha8Rng, invoices: &mut [Invoice], customers: &Customers) {
    let weights = day_weights();
    let mut cumulative = vec![0.0];
    for w in &weights {
        cumulative.push(cumulative.last().copied().unwrap_or(0.0) + w);
    }
    let minute = Normal::<f64>::new(12.5 * 60.0, 120.0).expect("valid normal");
    let countries = weighted(COUNTRIES.iter().map(|c| c.1));
    for inv in invoices.iter_mut() {
        let (first, last) = match inv.customer {
            Some(c) => (customers.first_day[c], customers.last_day[c]),
            None => (0, DAYS - 1),
        };
        // Inverse-CDF sampling of the day within the active period, by day weight.
        let lo = cumulative[first];
        let hi = cumulative[last + 1];
        let t = lo + rng.random::<f64>() * (hi - lo);
        let day = cumulative
            .partition_point(|&c| c <= t)
            .saturating_sub(1)
            .clamp(first, last);
        let m = minute.sample(rng).clamp(7.5 * 60.0, 20.0 * 60.0) as i64;
        inv.seconds = day as i64 * 86_400 + m * 60;
        inv.country = match inv.customer {
            Some(c) => customers.country[c],
            None if rng.random::<f64>() < 0.97 => 0,
            None => countries.sample(rng) as u16,
        };
    }
}

fn make_products(rng: &mut ChaCha8Rng, n: usize) -> (Vec<Product>, Vec<f64>) {
    let price = LogNormal::new(2.1f64.ln(), 0.85).expect("valid log-normal");
    let popularity = LogNormal::new(0.0, 1.5).expect("valid log-normal");
    let mut used = std::collections::HashSet::new();
    let mut products = Vec::with_capacity(n + 3);
    let mut weights = Vec::with_capacity(n + 3);
    while products.len() < n {
        let mut code = rng.random_range(10_002..90_215u32).to_string();
        if rng.random::<f64>() < 0.15 {
            code.push(['A', 'B', 'C', 'D', 'E'][rng.random_range(0..5)]);
        }
        if !used.insert(code.clone()) {
            continue;
        }
        let colour = COLOURS[rng.random_range(0..COLOURS.len())];
        let good = GOODS[rng.random_range(0..GOODS.len())];
        let mut description = if rng.random::<f64>() < 0.5 {
            format!("{colour} {good}")
        } else {
            let second = COLOURS[rng.random_range(0..COLOURS.len())];
            format!("{colour} {second} {good}")
        };
        if rng.random::<f64>() < 0.02 {
            description.push_str(", ASSORTED DESIGNS");
        }
        products.push(Product {
            code,
            description,
            price: (price.sample(rng) * 100.0).round().max(4.0) / 100.0,
        });
        weights.push(popularity.sample(rng));
    }
    let total: f64 = weights.iter().sum();
    for (code, description, unit, share) in [
        ("POST", "POSTAGE", 18.0, 0.004),
        ("M", "Manual", 2.5, 0.0008),
        ("DOT", "DOTCOM POSTAGE", 120.0, 0.0013),
    ] {
        products.push(Product {
            code: code.into(),
            description: description.into(),
            price: unit,
        });
        weights.push(total * share);
    }
    (products, weights)
}

fn make_lines(
    rng: &mut ChaCha8Rng,
    invoices: &[Invoice],
    (products, popularity): (Vec<Product>, Vec<f64>),
    config: &DemoConfig,
) -> Lines {
    let rows = config.rows;
    let pick_product = weighted(popularity);
    let pick_pack = weighted(PACKS.iter().map(|p| p.1));
    const SMALL: [i64; 8] = [1, 1, 1, 2, 2, 3, 4, 6];
    let mut out = Lines {
        invoice: Vec::with_capacity(rows),
        cancelled: Vec::with_capacity(rows),
        product: Vec::with_capacity(rows),
        quantity: Vec::with_capacity(rows),
        time_us: Vec::with_capacity(rows),
        unit_price: Vec::with_capacity(rows),
        customer: Vec::with_capacity(rows),
        country: Vec::with_capacity(rows),
        products: Vec::new(),
    };
    for (number, inv) in invoices.iter().enumerate() {
        let time_us = (START_SECONDS + inv.seconds) * 1_000_000;
        let customer = inv.customer.map(|c| config.first_customer + c as i64);
        for _ in 0..inv.lines {
            let p = pick_product.sample(rng);
            let mut price = products[p].price;
            let mut qty = if price > 15.0 {
                SMALL[rng.random_range(0..SMALL.len())]
            } else {
                PACKS[pick_pack.sample(rng)].0
            };
            if rng.random::<f64>() < 2e-5 {
                qty = rng.random_range(500..5000);
            }
            if qty >= 24 {
                price = ((price * 85.0).round() / 100.0).max(0.01);
            }
            if rng.random::<f64>() < 5e-4 {
                price = 0.0;
            }
            out.invoice.push(config.first_invoice + number as u64);
            out.cancelled.push(inv.cancelled);
            out.product.push(p as u32);
            out.quantity.push(if inv.cancelled { -qty } else { qty });
            out.time_us.push(time_us);
            out.unit_price.push(price);
            out.customer.push(customer);
            out.country.push(inv.country);
        }
    }
    out.products = products;
    out
}

/// (year, month, day) of a day number counted from 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(START_SECONDS / 86_400), (2010, 12, 1));
        assert_eq!(
            civil_from_days(START_SECONDS / 86_400 + DAYS as i64 - 1),
            (2011, 12, 9)
        );
    }

    #[test]
    fn the_same_config_gives_the_same_lines_and_the_exact_row_count() {
        let config = DemoConfig::new(20_000);
        let a = generate(&config);
        let b = generate(&config);
        assert_eq!(a.invoice.len(), 20_000);
        assert_eq!(a.invoice, b.invoice);
        assert_eq!(a.unit_price, b.unit_price);
        assert_eq!(a.customer, b.customer);
        let other = generate(&DemoConfig { seed: 7, ..config });
        assert_ne!(a.customer, other.customer);
    }

    #[test]
    fn parts_add_up_and_keep_customers_and_invoices_apart() {
        let whole = DemoConfig {
            customers: 1_003,
            ..DemoConfig::new(30_001)
        };
        let parts = whole.parts(4);
        assert_eq!(parts.iter().map(|p| p.rows).sum::<usize>(), 30_001);
        assert_eq!(parts.iter().map(|p| p.customers).sum::<usize>(), 1_003);
        assert_eq!(parts[0].seed, 42);
        assert_eq!(parts[3].seed, 45);
        let lines: Vec<Lines> = parts.iter().map(generate).collect();
        for pair in lines.windows(2) {
            let customers = |l: &Lines| {
                let ids = l.customer.iter().flatten();
                (*ids.clone().min().unwrap(), *ids.max().unwrap())
            };
            assert!(customers(&pair[0]).1 < customers(&pair[1]).0);
            assert!(pair[0].invoice.last() < pair[1].invoice.first());
        }
        assert_eq!(whole.parts(1), vec![whole]);
    }

    #[test]
    fn the_shape_is_online_retail_like() {
        let lines = generate(&DemoConfig::new(100_000));
        let n = lines.invoice.len() as f64;
        let guests = lines.customer.iter().filter(|c| c.is_none()).count() as f64 / n;
        assert!((0.14..0.26).contains(&guests), "guest share {guests}");
        let cancelled = lines.cancelled.iter().filter(|c| **c).count() as f64 / n;
        assert!(
            (0.01..0.035).contains(&cancelled),
            "cancelled share {cancelled}"
        );
        assert!(
            lines
                .quantity
                .iter()
                .zip(&lines.cancelled)
                .all(|(q, c)| (*q < 0) == *c)
        );
        // invoices are numbered in time order
        assert!(lines.time_us.windows(2).all(|w| w[0] <= w[1]));
        assert!(lines.invoice.windows(2).all(|w| w[0] <= w[1]));
        // no Saturdays: day 3 (2010-12-04) is a Saturday
        assert!(lines.time_us.iter().all(|t| {
            let day = (t / 1_000_000 - START_SECONDS) / 86_400;
            (day + 2) % 7 != 5
        }));
        // every customer appears, with at least one ordinary invoice
        let mut seen = std::collections::HashSet::new();
        for (c, cancelled) in lines.customer.iter().zip(&lines.cancelled) {
            if let (Some(c), false) = (c, cancelled) {
                seen.insert(*c);
            }
        }
        assert_eq!(seen.len(), 4_000);
        // heavy tail: the busiest customer has far more lines than the median one
        let mut per: std::collections::HashMap<i64, usize> = Default::default();
        for c in lines.customer.iter().flatten() {
            *per.entry(*c).or_default() += 1;
        }
        let mut counts: Vec<usize> = per.into_values().collect();
        counts.sort_unstable();
        assert!(counts[counts.len() - 1] > 50 * counts[counts.len() / 2]);
    }
}
