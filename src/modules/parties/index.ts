export { createPartiesService, type PartiesService, type PartiesServiceDeps, type PartyError } from './parties.service.ts';
export { partiesMigrations, partiesTables } from './parties.migrations.ts';
export { PARTY_KINDS, type Party, type PartyKind } from './parties.ts';
export { partiesRoutes } from './parties.routes.ts';
