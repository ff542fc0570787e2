B
conv1.biasJјЉО@ёѓ€»¬шАЮЉgА