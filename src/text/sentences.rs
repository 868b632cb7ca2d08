//! (to be written by the text pipeline work)
