"""Kairo Connect: the contract's constants (`contract`), the API client (`client`), webhook
signatures (`signing`) and the contract-faithful sandbox (`sandbox`). The contract is
docs/kairo-connect-api.md.

Nothing in this package imports our models; services translate between our models and
the client's typed values (docs/development.md "Conventions": data flows one way).
"""
