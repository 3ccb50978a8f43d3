export type { RiskEvent, FeatureVector, FeatureDescription, FeatureSource } from './features.event.ts';
export { createFeaturesService, FeaturesOverloadedError, type FeaturesService, type FeaturesServiceDeps, type ScoreError } from './features.service.ts';
export { featuresMigrations, featuresTables } from './features.migrations.ts';
export { featuresRoutes } from './features.routes.ts';
export { FEATURE_CATALOG, type CatalogEntry, type FeatureScope } from './features.catalog.ts';
export {
  FEATURE_WINDOWS, FEATURES_LIMITS, LONGEST_WINDOW_MS, DISTINCT_WINDOW_MS, PASS_THROUGH_WINDOW_MS, NEW_BENEFICIARY_LARGE_FACTOR, HISTORY_MIN_COUNT,
  WINDOW_1M_MS, WINDOW_1H_MS, WINDOW_24H_MS, WINDOW_7D_MS, WINDOW_30D_MS,
} from './features.limits.ts';
