"""The portal's pages, split by meaning: sign-in and invitations, the customer's records, service
requests, complaints, the customer admin's colleagues, and the staff pages for announcements."""
