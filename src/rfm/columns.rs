//! Finding the RFM roles (customer, time, amount, order id) among a table's column names.
//!
//! Names are compared case- and separator-insensitively (`CustomerID`, `customer_id` and
//! `Customer ID` are the same), against lists of the names transaction tables use in practice.
//! Candidates are tried in order of preference; two columns that both match the preferred
//! candidate are ambiguous and must be chosen with an option.

/// A column role that `rfm()` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Who bought.
    Customer,
    /// When.
    Time,
    /// How much money, per row.
    Amount,
    /// Units bought (multiplied by [`Role::UnitPrice`] when there is no amount column).
    Quantity,
    /// Price per unit.
    UnitPrice,
    /// The order or invoice the row belongs to.
    OrderId,
}

impl Role {
    /// Normalised names that identify the role, most specific first.
    pub fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Customer => &[
                "customerid",
                "customer",
                "custid",
                "customerkey",
                "customerno",
                "customernumber",
                "clientid",
                "client",
                "userid",
                "memberid",
                "accountid",
            ],
            Role::Time => &[
                "invoicedate",
                "orderdate",
                "transactiondate",
                "purchasedate",
                "saledate",
                "date",
                "invoicetime",
                "ordertime",
                "transactiontime",
                "timestamp",
                "datetime",
                "time",
                "ts",
                "createdat",
            ],
            Role::Amount => &[
                "amount",
                "total",
                "revenue",
                "totalprice",
                "totalamount",
                "lineamount",
                "linetotal",
                "sales",
                "salesamount",
                "value",
            ],
            Role::Quantity => &["quantity", "qty", "units", "unitssold"],
            Role::UnitPrice => &["unitprice", "price", "itemprice", "priceeach"],
            Role::OrderId => &[
                "invoiceno",
                "invoice",
                "invoiceid",
                "invoicenumber",
                "orderid",
                "order",
                "orderno",
                "ordernumber",
                "transactionid",
                "receiptid",
            ],
        }
    }

    /// The option of `rfm()` that sets this role explicitly.
    pub fn option(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Time => "time",
            Role::Amount | Role::Quantity | Role::UnitPrice => "amount",
            Role::OrderId => "order_id",
        }
    }
}

/// A column name reduced to lower-case letters and digits.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why a role could not be matched to exactly one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectError {
    /// More than one column matches the preferred candidate.
    Ambiguous(Vec<String>),
}

/// The column of `columns` that plays `role`, if any.
pub fn detect(role: Role, columns: &[String]) -> Result<Option<&str>, DetectError> {
    for candidate in role.candidates() {
        let matches: Vec<&String> = columns
            .iter()
            .filter(|c| normalize(c) == *candidate)
            .collect();
        match matches.as_slice() {
            [] => continue,
            [one] => return Ok(Some(one.as_str())),
            many => {
                return Err(DetectError::Ambiguous(
                    many.iter().map(|s| s.to_string()).collect(),
                ));
            }
        }
    }
    Ok(None)
}

/// The column named `given`: exactly if possible, else case- and separator-insensitively
/// (only when `given` is a plain name: letters, digits, spaces, `_` and `-`).
pub fn find_column<'a>(given: &str, columns: &'a [String]) -> Option<&'a str> {
    if let Some(exact) = columns.iter().find(|c| c.as_str() == given) {
        return Some(exact);
    }
    let plain = given
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-'));
    if !plain {
        return None;
    }
    let wanted = normalize(given);
    let mut matches = columns.iter().filter(|c| normalize(c) == wanted);
    match (matches.next(), matches.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn online_retail_columns_are_found() {
        let c = cols(&[
            "InvoiceNo",
            "StockCode",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ]);
        assert_eq!(detect(Role::Customer, &c), Ok(Some("CustomerID")));
        assert_eq!(detect(Role::Time, &c), Ok(Some("InvoiceDate")));
        assert_eq!(detect(Role::Amount, &c), Ok(None));
        assert_eq!(detect(Role::Quantity, &c), Ok(Some("Quantity")));
        assert_eq!(detect(Role::UnitPrice, &c), Ok(Some("UnitPrice")));
        assert_eq!(detect(Role::OrderId, &c), Ok(Some("InvoiceNo")));
    }

    #[test]
    fn snake_case_and_short_names_are_found() {
        let c = cols(&["cust_id", "order_date", "revenue", "order_id"]);
        assert_eq!(detect(Role::Customer, &c), Ok(Some("cust_id")));
        assert_eq!(detect(Role::Time, &c), Ok(Some("order_date")));
        assert_eq!(detect(Role::Amount, &c), Ok(Some("revenue")));
        assert_eq!(detect(Role::OrderId, &c), Ok(Some("order_id")));
    }

    #[test]
    fn a_more_specific_name_wins_over_a_generic_one() {
        let c = cols(&["date", "InvoiceDate", "customer", "customer_id"]);
        assert_eq!(detect(Role::Time, &c), Ok(Some("InvoiceDate")));
        assert_eq!(detect(Role::Customer, &c), Ok(Some("customer_id")));
    }

    #[test]
    fn two_spellings_of_the_same_name_are_ambiguous() {
        let c = cols(&["customer_id", "CustomerID"]);
        assert_eq!(
            detect(Role::Customer, &c),
            Err(DetectError::Ambiguous(cols(&["customer_id", "CustomerID"])))
        );
    }

    #[test]
    fn explicit_names_match_exactly_first_then_loosely() {
        let c = cols(&["Customer ID", "customer_id"]);
        assert_eq!(find_column("customer_id", &c), Some("customer_id"));
        assert_eq!(find_column("Customer ID", &c), Some("Customer ID"));
        assert_eq!(find_column("CUSTOMERID", &c), None, "two loose matches");
        assert_eq!(find_column("client", &c), None);
        assert_eq!(
            find_column("\"Customer ID\" *", &c),
            None,
            "an expression, not a name"
        );
    }
}
