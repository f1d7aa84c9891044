"""The recorded-session peer: firewall members we write in the shape real devices print, served over real SSH.

No ASA, Junos, FortiOS or PAN-OS device runs here. Each platform's ``DeviceModel`` (``fwpeer.<platform>``)
answers command lines with output read from tests/fixtures/firewall/recordings/<platform>/ (written in the
shape of the vendor's documented output, not captured from a device), and ``fwpeer.server`` serves a pair
of them on 127.0.0.1 so that Netmiko's real drivers talk to them. It is a mock of the devices, named so.
"""
