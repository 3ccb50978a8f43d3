export type { RiskEvent, FeatureVector, FeatureDescription, FeatureSource } from './features.event.ts';
