SELECT * FROM cohorts(sales, period => 'month', as_of => '2011-12-31', returns => 'include')
