"""Every key the site holds, behind one interface: the keyring that seals personal fields
and derives keyed hashes, and the signing keys (root, station, publication).

Reading a key never creates one: creation is an explicit command (``sulh keyring init``,
``sulh card root-init``, ``sulh card certify``) or demo mode.
"""
