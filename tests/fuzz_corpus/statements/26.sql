SELECT rfm(invoice_date, amount, DATE '2011-12-10', invoice) FROM sales GROUP BY customer_id
