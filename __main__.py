"""`pulumi up -s <stack>`: reads kindplane:configFile from the stack and builds the graph."""

from kindplane.program import main

main()
