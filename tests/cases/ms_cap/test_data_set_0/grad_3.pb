B
conv2.biasJÏ‘Àz^¸¾µ/À(ˆ?