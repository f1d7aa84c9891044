"""tier3 fw: firewall pairs driven from the controller with Netmiko, from one vendor-neutral policy
(docs/firewall.md)."""
