"""DynamoDB tables as PynamoDB models, one module per table, and the queries services need."""
