print("nnc")
