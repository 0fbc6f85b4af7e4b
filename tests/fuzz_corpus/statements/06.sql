SELECT id, assign_segment('m', x, y) FROM pts
