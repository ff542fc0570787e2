B
conv1.biasJºq½œ0½NEêº´ 1>