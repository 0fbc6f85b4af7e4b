SELECT * FROM demo_customers(rows => 50, seed => 1)
