export const partiesRoutes = null;
