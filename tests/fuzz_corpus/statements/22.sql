SELECT * FROM demo_transactions(rows => 100, seed => 2, customers => 10)
