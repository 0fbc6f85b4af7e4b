SELECT * FROM model_features('m')
