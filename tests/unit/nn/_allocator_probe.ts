// Prints tuneNativeAllocator()'s outcome as JSON; run by allocator_test.ts in a fresh
// process with the permissions under test.
import { tuneNativeAllocator } from "../../../lib/nn/_allocator.ts";

console.log(JSON.stringify(tuneNativeAllocator()));
