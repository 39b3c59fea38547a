// astrocnn command line (placeholder main, replaced by the CLI work).
#include <cstdio>
int main() { std::puts("astrocnn " ASTROCNN_VERSION); return 0; }
