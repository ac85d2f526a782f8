-- kipptaf's AutoComm students file, this region's rows only.
select *
from {{ source('kipptaf_extracts', 'rpt_powerschool__autocomm_students') }}
where code_location = '{{ var("code_location") }}'
