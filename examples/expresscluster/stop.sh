#! /bin/sh
#***************************************************************
#* stop.sh - EXPRESSCLUSTER EXEC resource stop: nothing to do.
#***************************************************************
# The VIP routes are not withdrawn when the group stops: the server that starts the group next
# re-points them, and withdrawing them here would only add an outage window.
exit 0
