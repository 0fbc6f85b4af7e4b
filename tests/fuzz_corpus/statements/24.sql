SELECT segql_rfm_cell(5, 4, 3), segql_rfm_segment(5, 4, 5), segql_timestamp('2011-12-10T10:00:00+02:00'), segql_check_finite(1.5, 'amount', 'rfm')
