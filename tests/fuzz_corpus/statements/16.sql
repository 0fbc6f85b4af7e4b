SELECT * FROM model_segments('m')
