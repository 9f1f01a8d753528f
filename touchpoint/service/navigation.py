"""Where the maintenance centre shows up in the shell."""
