import { ulid } from 'ulid';

/** Ids are server-generated (never derived from client input) and sort by creation time. */
export const newJobId = () => `job_${ulid()}`;
export const newBatchId = () => `bat_${ulid()}`;
export const newRequestId = () => `req_${ulid()}`;

const ID_PATTERN = /^(job|bat)_[0-9A-HJKMNP-TV-Z]{26}$/;
/** True for a well-formed id of ours; anything else is answered 404 before touching Redis. */
export const isValidId = (id: string, kind: 'job' | 'bat') => ID_PATTERN.test(id) && id.startsWith(`${kind}_`);
