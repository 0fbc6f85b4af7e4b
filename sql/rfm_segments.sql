-- The RFM segment summary: how many customers each R/F map segment holds, what they are
-- worth, and how recently and often they buy. Runs on any table of transactions named
-- `sales` (segql --demo loads generated online-retail data under that name).
SELECT
    segment,
    count(*)                                                   AS customers,
    round(100.0 * count(*) / sum(count(*)) OVER (), 1)         AS pct_customers,
    round(avg(recency_days), 1)                                AS avg_recency_days,
    round(avg(frequency), 1)                                   AS avg_orders,
    round(avg(monetary), 2)                                    AS avg_monetary,
    round(100.0 * sum(monetary) / sum(sum(monetary)) OVER (), 1) AS pct_revenue
FROM rfm(sales)
GROUP BY segment
ORDER BY avg_monetary DESC;
