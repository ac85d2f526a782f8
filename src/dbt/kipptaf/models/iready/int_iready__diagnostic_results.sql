-- Every region's i-Ready diagnostics, with the region as `code_location`.
{{ union_regions('iready', 'stg_iready__diagnostic_results') }}
