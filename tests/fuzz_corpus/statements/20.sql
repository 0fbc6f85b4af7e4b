SELECT rename_segments('m', '0: Champions, 1: At risk, 2: New')
