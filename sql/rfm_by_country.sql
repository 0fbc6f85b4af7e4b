-- RFM per customer and country with the aggregate form of rfm(), for a fixed snapshot date,
-- then the countries whose customers bought most recently on average.
WITH per_customer AS (
    SELECT "CustomerID", "Country",
           rfm("InvoiceDate", "Quantity" * "UnitPrice", DATE '2011-12-10', "InvoiceNo") AS r
    FROM sales
    WHERE "CustomerID" IS NOT NULL
    GROUP BY "CustomerID", "Country"
)
SELECT "Country",
       count(*)                            AS customers,
       round(avg(r['recency_days']), 1)    AS avg_recency_days,
       round(avg(r['frequency']), 1)       AS avg_orders,
       round(sum(r['monetary']), 2)        AS revenue
FROM per_customer
GROUP BY "Country"
HAVING count(*) >= 5
ORDER BY avg_recency_days, "Country";
