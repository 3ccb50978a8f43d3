export const ledgerRoutes = null;
