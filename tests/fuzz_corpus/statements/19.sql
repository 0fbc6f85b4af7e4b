SELECT * FROM model_components('p')
