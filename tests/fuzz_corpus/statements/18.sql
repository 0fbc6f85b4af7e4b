SELECT * FROM model_search('m')
