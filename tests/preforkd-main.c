/* The daemon's main.c, with main() renamed for preforkd-test. */
int	preforkd_main(int, char *[]);
#define main preforkd_main
#include "main.c"
