export {
  scopeFilter,
  scopeClause,
  DEFAULT_SCOPE_FIELDS,
  type ScopeBy,
  type ScopeIdForm,
  type ScopeFilterOptions,
  type ScopedFilter,
} from './scope-filter.js';
export { scopedUpdate, scopedInsert, type ScopedUpdate } from './scoped-write.js';
export { attribution, type Attribution, type ObjectIdAttribution, type AttributionOptions } from './attribution.js';
