"""What runs on a source server: the install scripts and the SSM Command document that carries them."""
