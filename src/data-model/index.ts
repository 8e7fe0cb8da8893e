/** The data model in one place: collection and field names, the pipelines, the indexes. */
export { ACTIVE_STATUS, COLLECTION_FIELDS, COLLECTIONS, type CollectionFields, type CollectionKey } from './collections.js';
export { directoryPipeline } from './directory-pipeline.js';
export { teamPipeline } from './team-pipeline.js';
export { requestedTeamPipeline } from './requested-team-pipeline.js';
export { MEMBERSHIP_UNIQUE_INDEX, ORGANIZATION_UNIQUE_INDEX, PROVISIONING_INDEXES, RECOMMENDED_INDEXES, type ProvisioningIndex, type RecommendedIndex } from './indexes.js';
