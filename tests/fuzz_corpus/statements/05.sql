SELECT * FROM assign_segment('m', pts)
