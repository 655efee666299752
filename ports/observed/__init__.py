"""
Observed data: nmap's nmap-services and the services file, read (files),
imported (importing) and announced (signals).
"""
