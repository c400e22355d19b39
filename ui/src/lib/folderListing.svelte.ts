import { toAppError, type AppError, type ObjectListing, type ObjectView } from '$lib/backend';
import { folderPrefix } from '$lib/keys';
import { latest } from '$lib/latest';

/** Fetches one page of the level under `prefix`; `after` is the last key of the page before, null for the first. */
export type ListPage = (prefix: string, after: string | null) => Promise<ObjectListing>;

/**
 * One "/"-delimited level of a bucket, page by page: the state ObjectBrowser and
 * ImageLibrary show. Answers for a level the user has left are dropped.
 */
export class FolderListing {
  prefix = $state('');
  bucketName = $state<string | null>(null);
  folders = $state<string[]>([]);
  objects = $state<ObjectView[]>([]);
  /** Where the next page starts; null when this was the last one. */
  nextAfter = $state<string | null>(null);
  loading = $state(false);
  loadingMore = $state(false);
  error = $state<AppError | null>(null);
  isEmpty = $derived(!this.loading && !this.error && this.folders.length === 0 && this.objects.length === 0);

  private readonly requests = latest();

  /** `onopen` hears of every level opened, before its answer (a parent binding the prefix). */
  constructor(
    private readonly listPage: ListPage,
    private readonly onopen: (prefix: string) => void = () => {},
  ) {}

  /** Shows the level under `target` from its first page. */
  async open(target: string): Promise<void> {
    const isLatest = this.requests.begin();
    this.prefix = target;
    this.onopen(target);
    this.folders = [];
    this.objects = [];
    this.nextAfter = null;
    this.error = null;
    this.loading = true;
    this.loadingMore = false;
    try {
      const listing = await this.listPage(target, null);
      if (isLatest()) this.take(listing, false);
    } catch (e) {
      if (isLatest()) this.error = toAppError(e);
    } finally {
      if (isLatest()) this.loading = false;
    }
  }

  /** Appends the next page of the level shown. */
  async loadMore(): Promise<void> {
    if (this.nextAfter === null) return;
    const isLatest = this.requests.join();
    this.loadingMore = true;
    this.error = null;
    try {
      const listing = await this.listPage(this.prefix, this.nextAfter);
      if (isLatest()) this.take(listing, true);
    } catch (e) {
      if (isLatest()) this.error = toAppError(e);
    } finally {
      if (isLatest()) this.loadingMore = false;
    }
  }

  /** Asks again for what failed: the level's first page, or the next one. */
  retry(): Promise<void> {
    return this.nextAfter === null ? this.open(this.prefix) : this.loadMore();
  }

  private take(listing: ObjectListing, append: boolean) {
    this.bucketName = listing.bucket;
    const incoming = listing.folders.map((f) => folderPrefix(f, this.prefix));
    this.folders = append ? [...this.folders, ...incoming.filter((f) => !this.folders.includes(f))] : incoming;
    this.objects = append ? [...this.objects, ...listing.objects] : listing.objects;
    this.nextAfter = listing.nextAfter;
  }
}
