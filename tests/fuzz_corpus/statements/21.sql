SELECT drop_model('nothing')
